export * from './quiz-definition.schema';
export { answersToTraits, type QuizAnswerProblem, type QuizAnswersResult, type QuizTraits } from './answers-to-traits';
